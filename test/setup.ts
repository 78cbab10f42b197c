// Loaded by mocha before every test file (.mocharc.json "require"): the test process starts as
// bin/zkr does, with the process-wide settings read from the environment ($ZKR_CACHE), so the
// setups made in the test process and in the zkr processes it starts share one cache.
import { applyProcessSettings } from "../src/cli/config.js";

applyProcessSettings();
