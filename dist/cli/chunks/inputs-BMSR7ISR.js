import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-F5E2KESP.js";import"./chunk-SLL4ZKJY.js";import"./chunk-PATETNWK.js";import"./chunk-TNJIBLPB.js";import"./chunk-QVYXNAN3.js";import"./chunk-XTUIZPUZ.js";export{b as parseCanarySteps,c as readRolloutInputs,a as splitEntries};
