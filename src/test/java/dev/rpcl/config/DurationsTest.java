package dev.rpcl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.rpcl.config.Durations.Unit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void unitsAreThoseOfPostgres() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms", Unit.SECONDS));
        assertEquals(Duration.ofSeconds(3), Durations.parse("3s", Unit.MILLISECONDS));
        assertEquals(Duration.ofSeconds(3), Durations.parse(" 3 S ", Unit.MILLISECONDS));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2min", Unit.MILLISECONDS));
        assertEquals(Duration.ofHours(1), Durations.parse("1h", Unit.MILLISECONDS));
        assertEquals(Duration.ofDays(1), Durations.parse("1d", Unit.MILLISECONDS));
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s", Unit.MILLISECONDS));
    }

    @Test
    void bareNumbersTakeTheKeysUnit() {
        assertEquals(Duration.ofMillis(250), Durations.parse("250", Unit.MILLISECONDS));
        assertEquals(Duration.ofSeconds(10), Durations.parse("10", Unit.SECONDS));
    }

    @Test
    void anythingElseIsNotADuration() {
        for (String bad : new String[] {"", "s", "-3s", "3 parsecs", "3m", "1e3", "3s5"}) {
            assertNull(Durations.parse(bad, Unit.SECONDS), bad);
        }
    }

    @Test
    void formatIsTheShortestExactForm() {
        assertEquals("3s", Durations.format(Duration.ofSeconds(3)));
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
        assertEquals("2min", Durations.format(Duration.ofMinutes(2)));
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("0s", Durations.format(Duration.ZERO));
        assertEquals("3000ms", Durations.toPostgres(Duration.ofSeconds(3)));
    }
}
