"""Running submission code in sandboxes and observing it from outside."""
