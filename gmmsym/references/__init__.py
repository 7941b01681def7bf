"""The *references* layer: certified (python-flint ball) references and the accuracy report."""
