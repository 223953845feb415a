-- Row-level security on accounts: each owner sees their own rows.
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_owner ON accounts USING (owner = current_user);
