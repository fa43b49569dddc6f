DROP TABLE confirmation_requests;
