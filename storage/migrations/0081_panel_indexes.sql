-- The panel's applications table sorts and filters thousands of rows by status and date:
-- one index serves the status filter with either date order, and the page count.
CREATE INDEX IF NOT EXISTS applications_status_id ON applications(status, id);
