-- Accounts, characters and everything a character owns.
-- Tables and columns follow the original design notes; additions are marked.

CREATE TABLE players (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username      varchar(50)  NOT NULL UNIQUE,
    email         varchar(255) NOT NULL UNIQUE,
    password_hash varchar(255) NOT NULL,
    -- addition: the account's role (player < builder < wizard < admin)
    role          varchar(20)  NOT NULL DEFAULT 'player'
                  CHECK (role IN ('player', 'builder', 'wizard', 'admin')),
    created_at    timestamp DEFAULT now(),
    last_login    timestamp
);
-- usernames and emails are unique regardless of case
CREATE UNIQUE INDEX players_username_lower_key ON players (lower(username));
CREATE UNIQUE INDEX players_email_lower_key ON players (lower(email));

CREATE TABLE characters (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    player_id       uuid NOT NULL REFERENCES players (id) ON DELETE CASCADE,
    name            varchar(50) NOT NULL UNIQUE,
    rank            varchar(20) NOT NULL DEFAULT 'normal'
                    CHECK (rank IN ('normal', 'iron', 'bronze', 'silver', 'gold', 'diamond')),
    power           integer NOT NULL DEFAULT 10,
    speed           integer NOT NULL DEFAULT 10,
    spirit          integer NOT NULL DEFAULT 10,
    recovery        integer NOT NULL DEFAULT 10,
    current_room_id varchar(100),
    health          integer NOT NULL,
    mana            integer NOT NULL,
    stamina         integer NOT NULL,
    -- addition: inventory holds 20 + 10 * inventory_expansion stacks
    inventory_expansion integer NOT NULL DEFAULT 0 CHECK (inventory_expansion >= 0),
    created_at      timestamp DEFAULT now(),
    updated_at      timestamp DEFAULT now()
) WITH (fillfactor = 70);  -- room on each page for HOT updates: the saver rewrites rows often
CREATE UNIQUE INDEX characters_name_lower_key ON characters (lower(name));
CREATE INDEX idx_characters_player_id ON characters (player_id);

CREATE TABLE character_essences (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    character_id    uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    essence_type    varchar(50) NOT NULL,
    attribute_bound varchar(20) NOT NULL,
    rank_bonded     varchar(20) NOT NULL,
    created_at      timestamp DEFAULT now(),
    UNIQUE (character_id, essence_type)
);
CREATE INDEX idx_character_essences_character_id ON character_essences (character_id);
CREATE INDEX idx_character_essences_type ON character_essences (essence_type);

CREATE TABLE character_abilities (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    character_id uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    essence_id   uuid NOT NULL REFERENCES character_essences (id) ON DELETE CASCADE,
    ability_name varchar(100) NOT NULL,
    current_rank varchar(20) NOT NULL,
    awakened     boolean DEFAULT false,
    metadata     jsonb,
    created_at   timestamp DEFAULT now()
);
CREATE INDEX idx_character_abilities_character_id ON character_abilities (character_id);
CREATE INDEX idx_character_abilities_essence_id ON character_abilities (essence_id);

CREATE TABLE character_inventory (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    character_id uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    item_id      varchar(100) NOT NULL,
    quantity     integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
    slot         integer,
    metadata     jsonb,
    created_at   timestamp DEFAULT now()
);
CREATE INDEX idx_character_inventory_character_id ON character_inventory (character_id);

CREATE TABLE character_quests (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    character_id uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    quest_id     varchar(100) NOT NULL,
    status       varchar(20) NOT NULL DEFAULT 'active'
                 CHECK (status IN ('active', 'completed', 'abandoned')),
    progress     jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at   timestamp DEFAULT now(),
    completed_at timestamp
);
CREATE INDEX idx_character_quests_character_id ON character_quests (character_id);
CREATE INDEX idx_character_quests_active ON character_quests (character_id) WHERE status = 'active';

CREATE TABLE character_skills (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    character_id uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    skill_id     varchar(100) NOT NULL,
    level        integer NOT NULL DEFAULT 1,
    experience   integer NOT NULL DEFAULT 0,
    updated_at   timestamp DEFAULT now(),
    UNIQUE (character_id, skill_id)
);
CREATE INDEX idx_character_skills_character_id ON character_skills (character_id);
