-- The recent lines of each channel, the one home of channel history: it outlives restarts (the
-- embedded Redis starts empty every time) and every process reads the same. The game writes
-- here in batches and keeps only the newest lines of each channel (as many as `chat` shows).
CREATE TABLE channel_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel text NOT NULL,
    line text NOT NULL,  -- as players see it: "[chat] Name: text"
    said_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_history_newest ON channel_history (channel, id DESC);
