-- On a table the catalog says is small the lock is short: info.
LOCK TABLE lookup IN ACCESS EXCLUSIVE MODE;
