package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A foreign key that references a partitioned table has a clone per partition in pg_constraint.
 * Repacking the referencing table must finish (the old table's key is dropped with its clones,
 * not clone by clone), leave nothing in sch_repdrop that still enforces the old key, and leave the
 * new key valid (its clones too, on 18 and later); pg_dump is the same before and after.
 */
@Timeout(120)
class ForeignKeyToPartitionedTableTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(ForeignKeyToPartitionedTableTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void aTableReferencingAPartitionedTableIsRepackedAndFinishedWithItsKeyValid() {
        db.execute("CREATE TABLE pt (id int PRIMARY KEY) PARTITION BY RANGE (id)",
                "CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (2000)",
                "CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (2000) TO (10000)",
                "CREATE TABLE ref (id int PRIMARY KEY, pid int REFERENCES pt)",
                "INSERT INTO pt SELECT generate_series(1, 3000)",
                "INSERT INTO ref SELECT g, g FROM generate_series(1, 3000) g",
                "DELETE FROM ref WHERE id % 3 <> 0");
        String dumpBefore = db.schemaDump();
        List<List<String>> rows = db.query("SELECT * FROM ref ORDER BY id");
        String before = db.scalar("SELECT 'ref'::regclass::oid");
        db.writeConfig(home, "default", "main", "tables = ['public.ref']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(before, db.scalar("SELECT 'ref'::regclass::oid"));
        assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"), run::toString);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repdrop'::regnamespace"),
                "the old table is gone");
        assertEquals("true", db.scalar("SELECT convalidated::text FROM pg_constraint WHERE conrelid = 'ref'::regclass"
                + " AND contype = 'f' AND conparentid = 0"), "the key is valid");
        if (db.major() >= 18) {
            // Before 18, VALIDATE of a key leaves its clones marked NOT VALID (README).
            assertEquals("0", db.scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'ref'::regclass AND contype = 'f'"
                    + " AND NOT convalidated"), "the key's clones are valid");
        }
        // A row of pt that no row of ref references can go; one that is referenced cannot.
        db.execute("DELETE FROM pt WHERE id = 1");
        assertEquals("0", db.scalar("SELECT count(*) FROM pt WHERE id = 1"));
        SchemaDiff.assertSameSchema(dumpBefore, db.schemaDump(), null);
        assertEquals(rows, db.query("SELECT * FROM ref ORDER BY id"));
    }
}
