package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.config.ConnectionConfig.Engine;
import dev.rpcl.engine.EngineChoice.Kind;
import dev.rpcl.engine.EngineChoice.Situation;
import dev.rpcl.engine.EngineChoice.TableFacts;
import org.junit.jupiter.api.Test;

/** Which engine each table gets: REPACK where it does the whole job on 19+, rpcl's engine elsewhere. */
class EngineChoiceTest {
    private static final TableFacts PLAIN = new TableFacts(true, "heap", "d", true, false);

    private static Situation on(int major, Engine engine, TableFacts table) {
        return new Situation(engine, false, major, "replica", false, false, false, table);
    }

    @Test
    void autoTakesRepackOn19ForAPlainTableAndRpclsEngineBefore19() {
        EngineChoice on19 = EngineChoice.choose(on(19, Engine.AUTO, PLAIN));
        assertEquals(Kind.REPACK, on19.kind());
        assertTrue(on19.reason().contains("keeps its OID"), on19.reason());
        EngineChoice on18 = EngineChoice.choose(on(18, Engine.AUTO, PLAIN));
        assertEquals(Kind.RPCL, on18.kind());
        assertTrue(on18.reason().contains("PostgreSQL 18") && on18.reason().contains("needs 19"), on18.reason());
    }

    @Test
    void autoLeavesToRpclsEngineWhatRepackCannotDo() {
        assertRpcl(new Situation(Engine.AUTO, false, 19, "replica", false, false, true, PLAIN), "JSON");
        assertRpcl(new Situation(Engine.AUTO, false, 19, "replica", true, false, false, PLAIN), "prepare_repack");
        assertRpcl(new Situation(Engine.AUTO, false, 19, "minimal", false, false, false, PLAIN), "wal_level");
        assertRpcl(on(19, Engine.AUTO, new TableFacts(false, "heap", "d", true, false)), "permanent");
        assertRpcl(on(19, Engine.AUTO, new TableFacts(true, "heap", "f", true, false)), "REPLICA IDENTITY FULL");
        assertRpcl(on(19, Engine.AUTO, new TableFacts(true, "heap", "d", false, true)), "DEFERRABLE");
        assertRpcl(on(19, Engine.AUTO, new TableFacts(true, "heap", "d", false, false)), "primary key");
        assertRpcl(on(19, Engine.AUTO, new TableFacts(true, "columnar", "d", true, false)), "columnar");
    }

    private static void assertRpcl(Situation s, String why) {
        EngineChoice c = EngineChoice.choose(s);
        assertEquals(Kind.RPCL, c.kind(), c::toString);
        assertTrue(c.reason().contains(why), c.reason());
    }

    @Test
    void anExplicitRepackThatCannotBeDoneSkipsTheTableSayingWhyAndWhatToSet() {
        EngineChoice c = EngineChoice.choose(new Situation(Engine.REPACK, true, 15, "replica", false, false, false, PLAIN));
        assertEquals(Kind.SKIP, c.kind());
        assertTrue(c.reason().startsWith("engine = repack (table_conf), but the server runs PostgreSQL 15"), c.reason());
        assertTrue(c.reason().contains("set engine = \"auto\" or \"rpcl\""), c.reason());
        assertEquals(Kind.REPACK, EngineChoice.choose(on(19, Engine.REPACK, PLAIN)).kind());
    }

    @Test
    void rpclIsRpclAndWorkRpclsEngineLeftInFlightIsFinishedByItWhateverTheSetting() {
        assertEquals(Kind.RPCL, EngineChoice.choose(on(19, Engine.RPCL, PLAIN)).kind());
        EngineChoice left = EngineChoice.choose(new Situation(Engine.REPACK, false, 19, "replica", false, true, false, PLAIN));
        assertEquals(Kind.RPCL, left.kind());
        assertTrue(left.reason().contains("earlier run"), left.reason());
    }
}
