"""What people do, one package per feature; bot/features.py registers them."""
