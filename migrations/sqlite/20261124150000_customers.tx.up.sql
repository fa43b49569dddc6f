CREATE TABLE customers (
    id                    text PRIMARY KEY,
    name                  text NOT NULL,
    account_manager_email text NOT NULL DEFAULT '',
    oncall_notes          text NOT NULL DEFAULT '',
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamp NOT NULL,
    updated_at            timestamp NOT NULL
);
CREATE UNIQUE INDEX customers_name_idx ON customers (lower(name));

-- One email domain belongs to one customer, so a sender's address names
-- at most one customer.
CREATE TABLE customer_domains (
    domain      text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE
);
CREATE INDEX customer_domains_customer_id_idx ON customer_domains (customer_id);

CREATE TABLE customer_contacts (
    id          text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '',
    email       text NOT NULL,
    role        text NOT NULL CHECK (role IN ('primary', 'technical', 'business', 'escalation')),
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamp NOT NULL
);
CREATE INDEX customer_contacts_customer_id_idx ON customer_contacts (customer_id, position);
CREATE INDEX customer_contacts_email_idx ON customer_contacts (lower(email));

CREATE TABLE incident_customers (
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, customer_id)
);
CREATE INDEX incident_customers_customer_id_idx ON incident_customers (customer_id);
