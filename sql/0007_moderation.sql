-- Moderation: bans (of an account, a character name or an address) and frozen characters.
CREATE TABLE bans (
    kind text NOT NULL CHECK (kind IN ('account', 'character', 'address')),
    value text NOT NULL,  -- lower-case username or character name; an address as a CIDR network
    reason text NOT NULL DEFAULT '',
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, value)
);

ALTER TABLE characters ADD COLUMN frozen boolean NOT NULL DEFAULT false;
