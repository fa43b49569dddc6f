-- Timeline entries store what they say as a message (a stable key such as
-- 'state_changed') and its parameters (a JSON object of strings such as
-- {"from": "investigating", "to": "mitigating"}); the sentence is rendered
-- when the entry is read (status.TimelineEntry.Text), so it can be reworded
-- or translated. Text people typed (notes, customer messages, what
-- monitoring said, update texts) is a parameter of its own.
ALTER TABLE timeline_entries ADD COLUMN message text NOT NULL DEFAULT '';
ALTER TABLE timeline_entries ADD COLUMN params text NOT NULL DEFAULT '{}';

-- body is kept, not dropped: it still holds the sentence of every entry
-- written before this migration, so the down migration gives them back
-- exactly, and replicas of the previous release that run on during a
-- rolling upgrade can still write it. Nothing in this release reads it;
-- new entries store '' (status.insertTimeline: SQLite cannot give an
-- existing column a default). A later migration may drop it once no
-- release in use needs it.

-- Existing entries are taken apart into message and parameters by the
-- sentences this release renders (status/timeline_text.go), each match
-- checked so that rendering gives back the stored sentence. An entry that
-- matches no sentence, or more than one, or whose sentence cannot be taken
-- apart in SQL (scheduled updates: their time is shown without a year, in a
-- zone abbreviation) becomes 'legacy_text', its one parameter the sentence
-- as stored, rendered as it is. The one change of wording: a general
-- update's entry, "Update update posted: …", now reads "Update posted: …".

-- Labels of the values that sentences name, as the sentences show them.
CREATE TEMP TABLE timeline_labels (what text NOT NULL, value text NOT NULL, label text NOT NULL);
INSERT INTO timeline_labels (what, value, label) VALUES
    ('severity', 'trivial', 'trivial'), ('severity', 'minor', 'minor'), ('severity', 'major', 'major'),
    ('severity', 'business_continuity', 'business continuity'),
    ('state', 'investigating', 'Investigating'), ('state', 'mitigating', 'Mitigating'),
    ('state', 'observing', 'Observing'), ('state', 'resolved', 'Resolved'),
    ('component_status', '', ''), ('component_status', 'operational', 'Operational'),
    ('component_status', 'degraded_performance', 'Degraded performance'),
    ('component_status', 'partial_outage', 'Partial outage'), ('component_status', 'major_outage', 'Major outage'),
    ('component_status', 'under_maintenance', 'Under maintenance'),
    ('update_kind', 'analysis', 'Analysis'), ('update_kind', 'progress', 'Progress'),
    ('update_kind', 'eta', 'Expected resolution'), ('update_kind', 'resolution', 'Resolution'),
    ('update_kind', 'general', 'Update'),
    ('silent', 'true', ' (silent)'), ('silent', 'false', ''),
    ('visibility', 'public', 'public'), ('visibility', 'customers', 'customers'), ('visibility', 'internal', 'internal'),
    ('visibility_label', 'public', 'public'), ('visibility_label', 'customers', 'affected customers'),
    ('visibility_label', 'internal', 'internal'),
    ('role', 'lead', 'technical lead'), ('role', 'help', 'technical help'),
    ('role', 'commander', 'incident commander'), ('role', 'comms', 'communication manager'),
    ('confirmer', 'customer', 'customer contact'), ('confirmer', 'internal', 'team member'),
    ('method', 'email', 'by email'), ('method', 'phone', 'by phone'), ('method', 'ticket', 'in a ticket'),
    ('method', 'chat', 'in chat'), ('method', 'meeting', 'in a meeting or video call'),
    ('method', 'monitoring', 'by monitoring'), ('method', 'other', 'other way'),
    ('source', 'email', 'Email'), ('source', 'phone', 'Phone call'), ('source', 'portal', 'Portal ticket'),
    ('source', 'alert', 'Alert');

-- Text from outside Herald is its entry's only parameter.
UPDATE timeline_entries SET message = 'note', params = json_object('text', body)
WHERE message = '' AND kind = 'note';
UPDATE timeline_entries SET message = 'alert', params = json_object('text', body)
WHERE message = '' AND kind = 'alert';

-- "<Source> from <from>: <title>\n\n<text>", rendered without surrounding
-- white space: only entries stored without it are taken apart.
WITH c AS (
    SELECT t.id, s.value AS source, substr(t.body, length(s.label) + 7) AS rest
    FROM timeline_entries AS t JOIN timeline_labels AS s ON s.what = 'source'
    WHERE t.message = '' AND t.kind = 'customer' AND substr(t.body, 1, length(s.label) + 6) = s.label || ' from '
      AND t.body = trim(t.body, ' ' || char(9, 10, 11, 12, 13, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200,
          8201, 8202, 8232, 8233, 8239, 8287, 12288))
), d AS (
    SELECT id, source, substr(rest, 1, instr(rest, ': ') - 1) AS sender, substr(rest, instr(rest, ': ') + 2) AS rest
    FROM c WHERE instr(rest, ': ') > 0
)
UPDATE timeline_entries SET message = 'customer_message', params = json_object('source', d.source, 'from', d.sender,
    'title', CASE WHEN instr(d.rest, char(10, 10)) > 0 THEN substr(d.rest, 1, instr(d.rest, char(10, 10)) - 1) ELSE d.rest END,
    'text', CASE WHEN instr(d.rest, char(10, 10)) > 0 THEN substr(d.rest, instr(d.rest, char(10, 10)) + 2) ELSE '' END)
FROM d WHERE timeline_entries.id = d.id;

-- "<person> took over as <role> from <previous>."
WITH c AS (
    SELECT t.id, t.body, r.value AS role, ' took over as ' || r.label || ' from ' AS sep
    FROM timeline_entries AS t JOIN timeline_labels AS r ON r.what = 'role'
    WHERE t.message = '' AND t.kind = 'role' AND instr(t.body, ' took over as ' || r.label || ' from ') > 0
      AND substr(t.body, length(t.body)) = '.'
), d AS (
    SELECT id, role, substr(body, 1, instr(body, sep) - 1) AS person,
           substr(body, instr(body, sep) + length(sep), length(body) - instr(body, sep) - length(sep)) AS previous
    FROM c WHERE id IN (SELECT id FROM c GROUP BY id HAVING count(*) = 1)
)
UPDATE timeline_entries SET message = 'role_taken_over',
    params = json_object('person', d.person, 'role', d.role, 'previous', d.previous)
FROM d WHERE timeline_entries.id = d.id;

-- "Services confirmed back by <by> (customer contact, <method>), by their
-- message of 2026-12-07 11:20 UTC."
WITH c AS (
    SELECT t.id, t.body, m.value AS method, ' (customer contact, ' || m.label || '), by their message of ' AS sep
    FROM timeline_entries AS t JOIN timeline_labels AS m ON m.what = 'method'
    WHERE t.message = '' AND t.kind = 'change' AND substr(t.body, 1, 27) = 'Services confirmed back by '
      AND t.body GLOB '* [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9] UTC.'
), d AS (
    SELECT id, method, substr(body, 28, length(body) - 27 - length(sep) - 21) AS by_name,
           substr(body, length(body) - 20, 16) AS at
    FROM c WHERE length(body) >= 27 + length(sep) + 21 AND substr(body, length(body) - 20 - length(sep), length(sep)) = sep
)
UPDATE timeline_entries SET message = 'services_confirmed_by_message',
    params = json_object('by', d.by_name, 'method', d.method, 'message_at', replace(d.at, ' ', 'T') || ':00Z')
FROM d WHERE timeline_entries.id = d.id;

-- "Affected customers changed: <added> added, <removed> removed, <total> in all."
WITH c AS (
    SELECT id, substr(body, 29, length(body) - 28 - 8) AS mid
    FROM timeline_entries
    WHERE message = '' AND kind = 'change' AND substr(body, 1, 28) = 'Affected customers changed: '
      AND substr(body, length(body) - 7) = ' in all.' AND length(body) >= 36
), d AS (
    SELECT id, substr(mid, 1, instr(mid, ' added, ') - 1) AS added, substr(mid, instr(mid, ' added, ') + 8) AS rest
    FROM c WHERE instr(mid, ' added, ') > 0
), e AS (
    SELECT id, added, substr(rest, 1, instr(rest, ' removed, ') - 1) AS removed, substr(rest, instr(rest, ' removed, ') + 10) AS total
    FROM d WHERE instr(rest, ' removed, ') > 0
)
UPDATE timeline_entries SET message = 'customers_changed',
    params = json_object('added', e.added, 'removed', e.removed, 'total', e.total)
FROM e WHERE timeline_entries.id = e.id
  AND e.added <> '' AND e.added NOT GLOB '*[^0-9]*' AND e.removed <> '' AND e.removed NOT GLOB '*[^0-9]*'
  AND e.total <> '' AND e.total NOT GLOB '*[^0-9]*';

-- Every other sentence is prefix, one value, suffix: pre || value || suf.
-- fixed holds the parameters the prefix and suffix name; value goes into
-- the parameter named by param ('' for a sentence without one), and must
-- pass the check ('none': empty; 'quoted': Go's %q left it as it was;
-- 'one' and 'many': a count, singular or plural; 'time': RFC 3339 UTC).
CREATE TEMP TABLE timeline_patterns (message text NOT NULL, kind text NOT NULL, pre text NOT NULL, suf text NOT NULL,
    fixed text NOT NULL, param text NOT NULL, check_as text NOT NULL);
INSERT INTO timeline_patterns (message, kind, pre, suf, fixed, param, check_as) VALUES
    ('incident_started', 'declared', 'The incident started.', '', '{}', '', 'none'),
    ('public_title_removed', 'change', 'Public title removed: the public sees the title.', '', '{}', '', 'none'),
    ('auto_holding_on', 'change', 'Automatic holding update turned on: when an update falls due with nothing posted, Herald posts a holding update.', '', '{}', '', 'none'),
    ('auto_holding_off', 'change', 'Automatic holding update turned off.', '', '{}', '', 'none'),
    ('record_edited', 'change', 'Incident record edited.', '', '{}', '', 'none'),
    ('postmortem_internal_saved', 'change', 'Internal post-mortem saved.', '', '{}', '', 'none'),
    ('postmortem_draft_saved', 'change', 'Public post-mortem draft saved.', '', '{}', '', 'none'),
    ('postmortem_published', 'change', 'Public post-mortem published.', '', '{}', '', 'none'),
    ('postmortem_withdrawn', 'change', 'Public post-mortem withdrawn from the public page.', '', '{}', '', 'none'),
    ('am_informed', 'change', 'Account Management informed.', '', '{}', '', 'none'),
    ('postmortem_decision_yes', 'change', 'Post-mortem decision: a post-mortem will be written.', '', '{}', '', 'none'),
    ('postmortem_decision_no', 'change', 'Post-mortem decision: no post-mortem.', '', '{}', '', 'none'),
    ('continuity_plan_triggered', 'change', 'Business continuity plan triggered.', '', '{}', '', 'none'),
    ('title_changed', 'change', 'Title changed to "', '".', '{}', 'title', 'quoted'),
    ('public_title_set', 'change', 'Public title set to "', '".', '{}', 'title', 'quoted'),
    ('start_corrected', 'change', 'Start time corrected to ', '.', '{}', 'at', 'time'),
    ('scheduled_update_cancelled', 'change', 'Cancelled the update scheduled for ', '.', '{}', 'at', 'time'),
    ('scheduled_update_failed', 'change', 'The update scheduled for now was not published: ', '.', '{}', 'reason', 'text');
INSERT INTO timeline_patterns (message, kind, pre, suf, fixed, param, check_as)
SELECT 'incident_declared', 'declared', 'Declared ' || s.label || ' incident "', '" (' || v.label || ').',
       json_object('severity', s.value, 'visibility', v.value), 'title', 'quoted'
FROM timeline_labels AS s, timeline_labels AS v WHERE s.what = 'severity' AND v.what = 'visibility'
UNION ALL
SELECT 'update_posted', 'update', k.label || ' update posted' || q.label || ': ', '',
       json_object('kind', k.value, 'silent', q.value), 'text', 'text'
FROM timeline_labels AS k, timeline_labels AS q WHERE k.what = 'update_kind' AND q.what = 'silent'
UNION ALL
SELECT 'state_changed', 'state', 'State changed from ' || a.label || ' to ' || b.label || '.', '',
       json_object('from', a.value, 'to', b.value), '', 'none'
FROM timeline_labels AS a, timeline_labels AS b WHERE a.what = 'state' AND b.what = 'state'
UNION ALL
SELECT 'component_changed', 'component', '', ': ' || a.label || ' → ' || b.label || '.',
       json_object('from', a.value, 'to', b.value), 'component', 'text'
FROM timeline_labels AS a, timeline_labels AS b WHERE a.what = 'component_status' AND b.what = 'component_status'
UNION ALL
SELECT 'severity_changed', 'severity', 'Severity changed from ' || a.label || ' to ' || b.label || '.', '',
       json_object('from', a.value, 'to', b.value), '', 'none'
FROM timeline_labels AS a, timeline_labels AS b WHERE a.what = 'severity' AND b.what = 'severity'
UNION ALL
SELECT 'visibility_changed', 'change', 'Visibility changed from ' || a.label || ' to ' || b.label || '.', '',
       json_object('from', a.value, 'to', b.value), '', 'none'
FROM timeline_labels AS a, timeline_labels AS b WHERE a.what = 'visibility' AND b.what = 'visibility'
UNION ALL
SELECT 'updates_published', 'change', '', ' earlier update made visible to ' || v.label || '.',
       json_object('visibility', v.value), 'count', 'one'
FROM timeline_labels AS v WHERE v.what = 'visibility_label'
UNION ALL
SELECT 'updates_published', 'change', '', ' earlier updates made visible to ' || v.label || '.',
       json_object('visibility', v.value), 'count', 'many'
FROM timeline_labels AS v WHERE v.what = 'visibility_label'
UNION ALL
SELECT 'role_assigned', 'role', '', ' is now ' || r.label || '.', json_object('role', r.value), 'person', 'text'
FROM timeline_labels AS r WHERE r.what = 'role'
UNION ALL
SELECT 'role_removed', 'role', '', ' is no longer ' || r.label || '.', json_object('role', r.value), 'person', 'text'
FROM timeline_labels AS r WHERE r.what = 'role'
UNION ALL
SELECT 'services_confirmed', 'change', 'Services confirmed back by ', ' (' || c.label || ', ' || m.label || ').',
       json_object('source', c.value, 'method', m.value), 'by', 'text'
FROM timeline_labels AS c, timeline_labels AS m WHERE c.what = 'confirmer' AND m.what = 'method';

WITH c AS (
    SELECT t.id, p.message, p.fixed, p.param, p.check_as,
           substr(t.body, length(p.pre) + 1, length(t.body) - length(p.pre) - length(p.suf)) AS value
    FROM timeline_entries AS t JOIN timeline_patterns AS p ON p.kind = t.kind
    WHERE t.message = '' AND length(t.body) >= length(p.pre) + length(p.suf)
      AND substr(t.body, 1, length(p.pre)) = p.pre
      AND substr(t.body, length(t.body) - length(p.suf) + 1) = p.suf
), d AS (
    SELECT * FROM c
    WHERE CASE check_as
        WHEN 'none' THEN value = ''
        WHEN 'text' THEN true
        WHEN 'quoted' THEN instr(value, '"') = 0 AND instr(value, '\') = 0
        WHEN 'one' THEN value = '1'
        WHEN 'many' THEN value <> '' AND value NOT GLOB '*[^0-9]*' AND value <> '1' AND (value = '0' OR value NOT GLOB '0*')
        WHEN 'time' THEN value GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'
        ELSE false
    END
)
UPDATE timeline_entries SET message = d.message,
    params = CASE WHEN d.param = '' THEN d.fixed ELSE json_set(d.fixed, '$.' || d.param, d.value) END
FROM d WHERE timeline_entries.id = d.id AND d.id IN (SELECT id FROM d GROUP BY id HAVING count(*) = 1);

-- Whatever is left is shown as it was written.
UPDATE timeline_entries SET message = 'legacy_text', params = json_object('text', body)
WHERE message = '';

DROP TABLE temp.timeline_patterns;
DROP TABLE temp.timeline_labels;
