// Index page: only the language toggle (the links need no sign-in).
import { initLangOnly } from "./common.js";

initLangOnly();
