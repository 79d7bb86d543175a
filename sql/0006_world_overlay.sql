-- The world overlay: what builders changed in the game (mud/commands/building.py). It is laid
-- over the world data files at start and on `reload world`, and `mud export-world` writes it
-- back out as files.

-- A room builders made or changed: a new id is a new room in `zone`; an id the files already
-- have replaces that room's name, description and exits (its items and monsters stay).
CREATE TABLE overlay_rooms (
    id          varchar(100) PRIMARY KEY,
    zone        varchar(100) NOT NULL,
    name        text NOT NULL,
    description text NOT NULL,
    exits       jsonb NOT NULL DEFAULT '{}',  -- exit name -> room id
    created_by  varchar(50) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  varchar(50) NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Fields of an item template builders changed (name, description, keywords, damage, armour),
-- as { field: value }; each change is merged into what is there.
CREATE TABLE overlay_items (
    item_id    varchar(100) PRIMARY KEY,
    fields     jsonb NOT NULL,
    updated_by varchar(50) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
