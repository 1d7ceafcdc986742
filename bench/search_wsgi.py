"""The app plus a hello-world endpoint, served by gunicorn in the search benchmark."""

from hoctap_learn import create_app

app = create_app()


@app.route("/bench/hello")
def hello():
    return "ok"
