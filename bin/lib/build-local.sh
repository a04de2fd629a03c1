# Sourced by bin/sona-local and bin/sona-bench: builds the local module and what it depends on,
# and its runtime class path, unless nothing changed since the last build (a source, a pom, or
# the project's jars in the local Maven repository, which another checkout may have replaced).
build_local() {
  local stamp=local/target/.build-stamp
  if [ -f "$stamp" ] && [ -f local/target/classpath-runtime.txt ] \
      && [ -z "$(find pom.xml ./*/pom.xml ./*/src -newer "$stamp" -print -quit 2>/dev/null)" ] \
      && [ -z "$(find "${HOME}/.m2/repository/io/sonaflink" -name '*.jar' -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  mvn -q -B -ntp -DskipTests install -pl local -am
  mvn -q -B -ntp dependency:build-classpath -pl local -DincludeScope=runtime \
      -Dmdep.outputFile=target/classpath-runtime.txt >/dev/null
  touch "$stamp"
}
