-- Death leaves a character weak for a while; the weakness outlives a restart.
ALTER TABLE characters ADD COLUMN weak_until timestamptz;
