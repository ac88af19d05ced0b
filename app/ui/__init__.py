"""The parts of the learners' Streamlit page (app/streamlit_app.py)."""
