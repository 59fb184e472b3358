package org.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Minimal stand-in for JUnit 4's {@code @Test}, used only where no junit4.jar exists (a bare JDK); see
 * {@code android/README.md}. Gradle and CI use the real JUnit 4.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Test {
}
