"""What the product does, without Flask: functions take (db, actor, arguments, now)."""
