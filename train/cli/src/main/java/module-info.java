/** The {@code pnn} command line. */
module dev.pnn.cli {
    requires dev.pnn.train;
    requires info.picocli;
    requires com.google.gson;
    requires java.desktop;
    requires jdk.management;
    requires org.knowm.xchart;
    requires me.tongfei.progressbar;

    opens dev.pnn.train.cli to info.picocli;
}
