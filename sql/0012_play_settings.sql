-- How a player plays, kept with the character: short room descriptions when walking, the health
-- below which they flee on their own (0: never), what they pick up from their kills at once,
-- and their command aliases (name -> what it stands for).
ALTER TABLE characters ADD COLUMN brief boolean NOT NULL DEFAULT false,
    ADD COLUMN wimpy integer NOT NULL DEFAULT 0 CHECK (wimpy >= 0),
    ADD COLUMN autoloot boolean NOT NULL DEFAULT false,
    ADD COLUMN autocoin boolean NOT NULL DEFAULT false,
    ADD COLUMN aliases jsonb NOT NULL DEFAULT '{}';
