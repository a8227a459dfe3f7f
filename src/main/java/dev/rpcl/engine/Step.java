package dev.rpcl.engine;

/** repcloud's step names (sch_repcloud.ty_repack_step), so runbooks that query the state keep working. */
public enum Step {
    CREATE_TABLE("create table"),
    COPY("copy"),
    CREATE_PKEY("create pkey"),
    CREATE_INDICES("create indices"),
    REPLAY("replay"),
    SWAP_TABLES("swap tables"),
    SWAP_ABORTED("swap aborted"),
    VALIDATE("validate"),
    COMPLETE("complete");

    private final String dbValue;

    Step(String dbValue) {
        this.dbValue = dbValue;
    }

    public String dbValue() {
        return dbValue;
    }

    public static Step of(String dbValue) {
        for (Step s : values()) {
            if (s.dbValue.equals(dbValue)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown repack step " + dbValue);
    }
}
