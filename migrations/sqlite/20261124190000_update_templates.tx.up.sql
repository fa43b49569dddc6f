CREATE TABLE update_templates (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('analysis', 'progress', 'eta', 'resolution', 'general')),
    state      text NOT NULL DEFAULT '' CHECK (state IN ('', 'investigating', 'mitigating', 'observing', 'resolved')),
    body       text NOT NULL,
    position   integer NOT NULL DEFAULT 0,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL
);
CREATE UNIQUE INDEX update_templates_name_idx ON update_templates (lower(name));

INSERT INTO update_templates (id, name, kind, state, body, position, created_at, updated_at) VALUES
('tplinvestig1', 'Investigating', 'analysis', 'investigating', 'We are investigating reports of problems with {components}. We will share what we find by {next_update}.', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('tplcauseknwn', 'Cause identified', 'analysis', 'mitigating', 'We have identified the cause of the problems with {components} and are working on a fix. Next update by {next_update}.', 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('tplprogress1', 'Fix in progress', 'progress', 'mitigating', 'The fix for {components} is being rolled out. Some requests may still fail until it is complete. Next update by {next_update}.', 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('tpletaknown1', 'Expected resolution', 'eta', 'mitigating', 'We expect {components} to be fully working again by {eta}. Next update by {next_update}.', 4, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('tplobserve01', 'Monitoring', 'resolution', 'observing', 'A fix is in place and {components} is working again. We are monitoring the results.', 5, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
('tplresolved1', 'Resolved', 'resolution', 'resolved', 'This incident is resolved: {components} is working normally again. Thank you for your patience.', 6, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
