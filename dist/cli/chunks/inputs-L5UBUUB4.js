import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-VNGCQX47.js";import"./chunk-PATETNWK.js";import"./chunk-IE62MDRB.js";import"./chunk-QVYXNAN3.js";import"./chunk-XTUIZPUZ.js";export{b as parseCanarySteps,c as readRolloutInputs,a as splitEntries};
