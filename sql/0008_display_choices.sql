-- A player's `prompt` and `color` choices are kept with the character. NULL: the default prompt,
-- and colour as the client announces it; otherwise the template, or colour forced on or off.
ALTER TABLE characters ADD COLUMN prompt text, ADD COLUMN colour boolean;
