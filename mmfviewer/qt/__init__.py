"""The desktop app. Every line that imports PySide6 lives in this package."""
