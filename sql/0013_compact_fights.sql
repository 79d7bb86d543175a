-- A player who reads a fight's round as one line (what they and those around them did in it).
ALTER TABLE characters ADD COLUMN compact boolean NOT NULL DEFAULT false;
