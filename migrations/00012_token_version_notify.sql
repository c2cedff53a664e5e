-- Processes cache users' token versions; this notification tells every one
-- of them at once when a version or the active flag changes, so a revoked
-- token or a disabled user stops working immediately on all replicas.
-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION notify_token_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('pff_token_versions', coalesce(NEW.id, OLD.id)::text);
	RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER users_notify_token_version
	AFTER UPDATE OF token_version, active OR DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION notify_token_version();

-- +goose Down
DROP TRIGGER users_notify_token_version ON users;
DROP FUNCTION notify_token_version();
