-- Changes made to a character from outside the game (an operator's SQL, a tool) are announced
-- on the channel mud_character_changed with the character's id, so that every server process
-- drops its cached copy. The game's own connections set mud.writer = 'game' and announce
-- nothing: a process that writes a character already has the newest state.
CREATE FUNCTION mud_character_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed uuid;
BEGIN
    IF current_setting('mud.writer', true) = 'game' THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'characters' THEN
        changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    ELSE
        changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.character_id ELSE NEW.character_id END;
    END IF;
    PERFORM pg_notify('mud_character_changed', changed::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER characters_changed AFTER INSERT OR UPDATE OR DELETE ON characters
    FOR EACH ROW EXECUTE FUNCTION mud_character_changed();
CREATE TRIGGER character_essences_changed AFTER INSERT OR UPDATE OR DELETE
    ON character_essences FOR EACH ROW EXECUTE FUNCTION mud_character_changed();
CREATE TRIGGER character_abilities_changed AFTER INSERT OR UPDATE OR DELETE
    ON character_abilities FOR EACH ROW EXECUTE FUNCTION mud_character_changed();
CREATE TRIGGER character_inventory_changed AFTER INSERT OR UPDATE OR DELETE
    ON character_inventory FOR EACH ROW EXECUTE FUNCTION mud_character_changed();
CREATE TRIGGER character_quests_changed AFTER INSERT OR UPDATE OR DELETE
    ON character_quests FOR EACH ROW EXECUTE FUNCTION mud_character_changed();
CREATE TRIGGER character_skills_changed AFTER INSERT OR UPDATE OR DELETE
    ON character_skills FOR EACH ROW EXECUTE FUNCTION mud_character_changed();
