package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReplayDaemonTest {

    @Test
    void keepsReplayingEveryConnectionUntilStopped() {
        StopSignal stop = new StopSignal();
        AtomicInteger a = new AtomicInteger();
        AtomicInteger b = new AtomicInteger();
        ReplayDaemon daemon = new ReplayDaemon(List.of(
                new ReplayDaemon.Source("a", () -> {
                    if (a.incrementAndGet() == 5) {
                        stop.request("test over");
                    }
                    return 10;
                }),
                new ReplayDaemon.Source("b", () -> {
                    b.incrementAndGet();
                    return 1;
                })), stop, Duration.ofSeconds(10));

        ReplayDaemon.Summary s = daemon.run();

        assertEquals(5, a.get());
        assertEquals(4, b.get(), "a stop requested mid-round skips the rest of the round");
        assertEquals(5, s.rounds());
        assertEquals(54, s.rowsReplayed());
        assertEquals(0, s.errors());
    }

    @Test
    void anErrorIsLoggedAndTheLoopGoesOn() {
        StopSignal stop = new StopSignal();
        AtomicInteger calls = new AtomicInteger();
        ReplayDaemon daemon = new ReplayDaemon(List.of(new ReplayDaemon.Source("a", () -> {
            int n = calls.incrementAndGet();
            if (n <= 2) {
                throw new IllegalStateException("database restarting");
            }
            stop.request("test over");
            return 7;
        })), stop, Duration.ofMillis(50));

        long start = System.nanoTime();
        ReplayDaemon.Summary s = daemon.run();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertEquals(2, s.errors());
        assertEquals(7, s.rowsReplayed());
        assertTrue(ms >= 150, "backs off 50 ms, then 100 ms, before retrying: " + ms + " ms");
    }

    @Test
    void anIdleDaemonWakesAtOnceWhenStopped() throws Exception {
        StopSignal stop = new StopSignal();
        ReplayDaemon daemon = new ReplayDaemon(List.of(new ReplayDaemon.Source("a", () -> 0)), stop, Duration.ofMinutes(10));
        Thread t = new Thread(daemon::run);
        t.start();
        Thread.sleep(300);
        long start = System.nanoTime();
        stop.request("stop_replay");
        t.join(5_000);
        assertTrue(!t.isAlive(), "the daemon did not end within 5 s of the stop");
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1_000);
    }
}
