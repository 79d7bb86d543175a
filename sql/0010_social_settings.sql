-- What a player shows of themselves and keeps between sessions: a title read after their name in
-- `who`, an away message (NULL: not away) and the names of the characters they ignore.
ALTER TABLE characters ADD COLUMN title text, ADD COLUMN afk text,
    ADD COLUMN ignoring text[] NOT NULL DEFAULT '{}';
