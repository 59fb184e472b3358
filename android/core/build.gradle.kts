// The app's logic as a plain JVM library (no Android dependency): sidecar, protocol + Polar decoding, loss
// accounting, resampling, windowing, normalization, int8 quantization, smoothing. Tested against golden vectors
// written by the Python package (src/test/resources/golden; regenerate: python -m mujo_edge.firmware_bridge.golden).
plugins {
    `java-library`
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

dependencies {
    testImplementation(libs.junit)
}

tasks.test {
    // The golden vectors are read from src/test/resources/golden relative to this module.
    workingDir = projectDir
    testLogging { events("failed"); showStandardStreams = false }
}
