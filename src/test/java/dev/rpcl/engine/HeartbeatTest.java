package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A long step's progress lines come while it runs, survive a failing beat, and stop with the step. */
@Timeout(10)
class HeartbeatTest {

    @Test
    void beatsWhileOpenKeepsBeatingAfterAFailureAndStopsWhenClosed() throws Exception {
        AtomicInteger beats = new AtomicInteger();
        try (Heartbeat hb = Heartbeat.start(Duration.ofMillis(20), () -> {
            if (beats.incrementAndGet() == 2) {
                throw new IllegalStateException("a beat that fails");
            }
        })) {
            long until = System.nanoTime() + 5_000_000_000L;
            while (beats.get() < 4 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
        }
        int atClose = beats.get();
        assertTrue(atClose >= 4, "beats: " + atClose);
        Thread.sleep(100);
        assertEquals(atClose, beats.get(), "no beat after close");
    }
}
