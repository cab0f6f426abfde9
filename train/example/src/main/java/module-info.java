/** An application that trains, saves, loads and serves a model with panama-nn. */
module dev.pnn.example {
    requires dev.pnn.train;
}
