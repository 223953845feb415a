ALTER TYPE order_status ADD VALUE 'refunded' AFTER 'delivered';
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'disputed' BEFORE 'refunded';
