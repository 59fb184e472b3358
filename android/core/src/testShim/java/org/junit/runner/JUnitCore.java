package org.junit.runner;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Minimal stand-in for JUnit 4's console runner: {@code java org.junit.runner.JUnitCore CLASS...} runs every public
 * {@code @Test} method of each class on a fresh instance and prints JUnit's summary lines ({@code OK (N tests)} or
 * {@code Tests run: N,  Failures: M}); exit status 0 when all pass.
 */
public final class JUnitCore {
    private JUnitCore() {
    }

    public static void main(String... classNames) throws Exception {
        System.out.println("JUnit version 4 (mujo-edge shim)");
        long t0 = System.nanoTime();
        int run = 0;
        List<String> failures = new ArrayList<>();
        for (String name : classNames) {
            Class<?> c = Class.forName(name);
            Method[] methods = c.getMethods();
            Arrays.sort(methods, Comparator.comparing(Method::getName));
            for (Method m : methods) {
                if (!m.isAnnotationPresent(org.junit.Test.class) || Modifier.isStatic(m.getModifiers())) {
                    continue;
                }
                run++;
                try {
                    m.invoke(c.getConstructor().newInstance());
                    System.out.print(".");
                } catch (InvocationTargetException e) {
                    System.out.print(".E");
                    Throwable cause = e.getCause();
                    java.io.StringWriter sw = new java.io.StringWriter();
                    cause.printStackTrace(new java.io.PrintWriter(sw));
                    failures.add(m.getName() + "(" + name + ")\n" + sw);
                }
            }
        }
        System.out.println();
        System.out.printf("Time: %.3f%n", (System.nanoTime() - t0) / 1e9);
        for (int k = 0; k < failures.size(); k++) {
            System.out.println((k + 1) + ") " + failures.get(k));
        }
        if (failures.isEmpty()) {
            System.out.println();
            System.out.println("OK (" + run + " tests)");
            System.exit(0);
        }
        System.out.println("FAILURES!!!");
        System.out.println("Tests run: " + run + ",  Failures: " + failures.size());
        System.exit(1);
    }
}
