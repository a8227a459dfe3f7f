package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rpcl.engine.Readiness.Rounds.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the samples of one swap are judged: on the backlog left after replaying, and never without end. */
class ReadinessRoundsTest {

    private static List<Verdict> judge(Readiness.Rounds rounds, long... backlogs) {
        List<Verdict> out = new ArrayList<>();
        for (long b : backlogs) {
            out.add(rounds.judge(b));
        }
        return out;
    }

    @Test
    void aBacklogThatFitsUnderTheLockIsReadyHoweverManyRoundsCameBefore() {
        Readiness.Rounds r = new Readiness.Rounds(2, 300);
        assertEquals(List.of(Verdict.AGAIN, Verdict.READY, Verdict.READY, Verdict.READY), judge(r, 5_000, 300, 0, 12));
    }

    @Test
    void aBacklogThatDoesNotShrinkGivesUpAfterTheRoundsWithoutProgress() {
        Readiness.Rounds r = new Readiness.Rounds(3, 300);
        // The first round sets the mark; then three rounds no better than it.
        assertEquals(List.of(Verdict.AGAIN, Verdict.AGAIN, Verdict.AGAIN, Verdict.GIVE_UP), judge(r, 1_000, 1_200, 950, 990));
        assertEquals(4, r.rounds());
    }

    @Test
    void roundsThatLeaveClearlyLessBehindAreProgressAndDoNotCount() {
        Readiness.Rounds r = new Readiness.Rounds(2, 300);
        assertEquals(List.of(Verdict.AGAIN, Verdict.AGAIN, Verdict.AGAIN, Verdict.AGAIN, Verdict.READY),
                judge(r, 8_000, 9_000, 6_000, 5_000, 250));
    }

    @Test
    void aBacklogThatShrinksSlowlyForeverStillGivesUpAtTheHardCap() {
        Readiness.Rounds r = new Readiness.Rounds(2, 300);
        long backlog = 1_000_000;
        Verdict v = Verdict.AGAIN;
        int rounds = 0;
        while (v == Verdict.AGAIN) {
            v = r.judge(backlog);
            backlog /= 2;
            rounds++;
        }
        assertEquals(Verdict.GIVE_UP, v);
        assertEquals(2 * Readiness.HARD_CAP_FACTOR, rounds);
    }

    private static List<Boolean> gaining(long... backlogs) {
        Readiness.Gain gain = new Readiness.Gain(3);
        List<Boolean> out = new ArrayList<>();
        for (long b : backlogs) {
            out.add(gain.gaining(b));
        }
        return out;
    }

    @Test
    void aCatchUpWhoseBacklogShrinksHoweverSlowlyGoesOn() {
        assertEquals(List.of(true, true, true, true, true, true, true),
                gaining(10_000_000, 9_999_000, 9_998_500, 9_998_000, 9_997_000, 9_996_999, 9_996_000));
    }

    @Test
    void aCatchUpWhoseBacklogGrowsOrOnlyWaversStops() {
        assertEquals(List.of(true, true, true, false), gaining(100, 200, 300, 400));
        assertEquals(List.of(true, true, true, false), gaining(100, 104, 98, 103));
    }
}
