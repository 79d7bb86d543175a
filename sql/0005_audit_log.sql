-- Every privileged command (builder, wizard or admin) is recorded: who, with which role, what,
-- on whom or what, when, and how it ended.
CREATE TABLE audit_log (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    account   varchar(50) NOT NULL,
    character varchar(50) NOT NULL,
    role      varchar(20) NOT NULL,
    command   varchar(50) NOT NULL,
    target    text NOT NULL DEFAULT '',
    args      text NOT NULL DEFAULT '',
    outcome   text NOT NULL
);
CREATE INDEX idx_audit_log_at ON audit_log (at DESC);
CREATE INDEX idx_audit_log_character ON audit_log (lower(character), at DESC);
