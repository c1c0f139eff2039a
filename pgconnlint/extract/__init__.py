"""One front end per source format. Each returns facts and `ParseProblem`s; none raises on bad input."""
