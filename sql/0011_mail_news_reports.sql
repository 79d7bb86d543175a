-- Letters between characters: kept until the recipient deletes them; read_at is NULL while
-- unread (the count is told at login). A character's letters go with it.
CREATE TABLE mail (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES characters(id) ON DELETE CASCADE,
    sender varchar(50) NOT NULL,  -- the sending character's name, as it was
    body text NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz
);
CREATE INDEX mail_inbox ON mail (recipient_id, id);

-- What wizards tell everyone: the message of the day (one row, shown at login) and the news
-- (`news` lists the newest).
CREATE TABLE motd (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),  -- at most one row
    body text NOT NULL,
    author varchar(50) NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE news (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body text NOT NULL,
    author varchar(50) NOT NULL,
    posted_at timestamptz NOT NULL DEFAULT now()
);

-- Bugs, ideas and typos players report, with where they stood, until a wizard closes them.
CREATE TABLE reports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind varchar(10) NOT NULL CHECK (kind IN ('bug', 'idea', 'typo')),
    character varchar(50) NOT NULL,
    room_id text NOT NULL,
    body text NOT NULL,
    filed_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    closed_by varchar(50)
);
CREATE INDEX reports_open ON reports (id) WHERE closed_at IS NULL;
