-- migrate:class additive
-- Row level security and policies on a table created in this migration change nothing anyone
-- sees yet: additive.
CREATE TABLE tenants_data (id bigint, tenant text);
ALTER TABLE tenants_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants_data FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants_data USING (tenant = current_user);
ALTER TABLE tenants_data NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tenants_data DISABLE ROW LEVEL SECURITY;
