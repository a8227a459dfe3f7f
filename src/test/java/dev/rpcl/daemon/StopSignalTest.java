package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StopSignalTest {

    @Test
    void firstReasonIsKeptAndListenersRunOnce() throws Exception {
        StopSignal stop = new StopSignal();
        AtomicInteger cancelled = new AtomicInteger();
        AtomicInteger unregistered = new AtomicInteger();
        stop.onRequest(cancelled::incrementAndGet);
        try (AutoCloseable handle = stop.onRequest(unregistered::incrementAndGet)) {
            assertFalse(stop.getAsBoolean());
        }

        stop.request("stop_replay");
        stop.request("SIGINT");

        assertTrue(stop.requested());
        assertEquals("stop_replay", stop.reason());
        assertEquals(1, cancelled.get());
        assertEquals(0, unregistered.get(), "a listener whose handle was closed does not run");
    }

    @Test
    void aListenerAddedAfterTheRequestRunsAtOnce() {
        StopSignal stop = new StopSignal();
        stop.request("SIGTERM");
        AtomicInteger ran = new AtomicInteger();
        stop.onRequest(ran::incrementAndGet);
        assertEquals(1, ran.get());
    }

    @Test
    void aFailingListenerDoesNotKeepTheOthersFromRunning() {
        StopSignal stop = new StopSignal();
        AtomicInteger ran = new AtomicInteger();
        stop.onRequest(() -> {
            throw new IllegalStateException("statement already closed");
        });
        stop.onRequest(ran::incrementAndGet);
        stop.request("SIGTERM");
        assertEquals(1, ran.get());
    }
}
