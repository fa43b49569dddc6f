-- A configuration problem that stops all outbound email: the SMTP server's
-- certificate is not trusted, or it refused Herald's login. One row per
-- transport ('smtp'), as the sender last met it; it is over once an email
-- is sent after last_at. Console → Email shows it.
CREATE TABLE delivery_problems (
    transport text PRIMARY KEY,
    kind      text NOT NULL CHECK (kind IN ('tls', 'auth')),
    reply     text NOT NULL,
    since     timestamptz NOT NULL,
    last_at   timestamptz NOT NULL
);
