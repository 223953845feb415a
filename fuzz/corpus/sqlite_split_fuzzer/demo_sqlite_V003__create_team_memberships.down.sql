-- Remove the membership table created by V003; its index is dropped with it.
DROP TABLE team_memberships;
