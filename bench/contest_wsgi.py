"""The app as the load benchmark serves it: the real app plus a hello-world endpoint.

The hello-world route is the yardstick: the same gunicorn workers, the same middleware,
no database. It exists only in this benchmark entry point, never in the product.
"""

from hoctap_learn import create_app

app = create_app()


@app.route("/bench/hello")
def hello():
    return "ok"
