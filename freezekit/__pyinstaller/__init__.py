"""PyInstaller hook directory, announced through the ``pyinstaller40`` entry point."""
