-- IF EXISTS: a half-created or half-dropped set of helper schemas must still drop cleanly.
DROP SCHEMA IF EXISTS sch_repnew CASCADE;
DROP SCHEMA IF EXISTS sch_repdrop CASCADE;
DROP SCHEMA IF EXISTS sch_repcloud CASCADE;
