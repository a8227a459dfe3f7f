-- rpcl's helper schemas; the names and step values are repcloud's, so runbooks that query
-- sch_repcloud.t_table_repack keep working.
CREATE SCHEMA sch_repcloud;
CREATE SCHEMA sch_repnew;
CREATE SCHEMA sch_repdrop;

CREATE TYPE sch_repcloud.ty_repack_step AS ENUM
    ('create table', 'copy', 'create pkey', 'create indices', 'replay', 'swap tables', 'swap aborted',
     'validate', 'complete');

CREATE VIEW sch_repcloud.v_version AS SELECT '0.1.0'::text AS t_version;

-- One row per table rpcl is working on or has worked on. v_status is one of
-- 'in progress', 'prepared', 'failed', 'complete'. j_definition holds the fingerprint of the
-- table the copy was built from, the storage options and the insert/select lists the copy was
-- made with (the replay reads through the same ones, whatever table_conf says later) and, once swapped (step 'validate'), the statements that remain
-- to run after the swaps (VALIDATE CONSTRAINT ...), so an interrupted run can finish them.
CREATE TABLE sch_repcloud.t_table_repack (
    i_id_table        bigserial PRIMARY KEY,
    oid_old_table     oid NOT NULL,
    oid_new_table     oid,
    v_schema_name     text NOT NULL,
    v_old_table_name  text NOT NULL,
    v_new_table_name  text NOT NULL,
    v_log_table_name  text NOT NULL,
    t_tab_pk          text[] NOT NULL,
    en_repack_step    sch_repcloud.ty_repack_step NOT NULL DEFAULT 'create table',
    v_status          text NOT NULL DEFAULT 'in progress',
    t_message         text,
    b_ready_for_swap  boolean NOT NULL DEFAULT false,
    i_size_start      bigint,
    i_size_end        bigint,
    i_rows_copied     bigint,
    i_rows_replayed   bigint NOT NULL DEFAULT 0,
    i_lock_attempts   integer NOT NULL DEFAULT 0,
    i_lock_held_ms    bigint,
    j_timings         jsonb NOT NULL DEFAULT '{}',
    j_definition      jsonb,
    ts_repack_start   timestamptz NOT NULL DEFAULT now(),
    ts_repack_end     timestamptz,
    CONSTRAINT uq_t_table_repack_table UNIQUE (v_schema_name, v_old_table_name)
);
