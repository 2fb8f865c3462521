// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Appeals} from "./Appeals.sol";
import {Attestations} from "./Attestations.sol";
import {IAppeals} from "./interfaces/IAppeals.sol";

/// @title AppealRuling
/// @notice The market's side of an appeal to the whole bond ({Appeals}, issue 20 item 5):
/// finalize applies the vote's verdicts, and an appeal's absent voters are slashed here.
/// @dev The market creates its {Appeals} in its constructor, so neither has an administrator
/// and each trusts only the other. A verdict the vote overturns comes back as the submission's
/// sheet rewritten ({Appeals-verdictOf}), which finalize stores before judging, so finalize,
/// claim and the lens judge it with {Judgment} unchanged.
abstract contract AppealRuling is Attestations {
    IAppeals internal immutable _appeals;

    constructor() {
        _appeals = IAppeals(address(new Appeals(address(this))));
    }

    /// @notice The {Appeals} contract whose votes this market's finalize applies.
    /// @dev Named so its selector (0xf60fa8bf) sorts after commit's, as {epochWeightNow}'s
    /// (commit has 26 gas left under its goal); so is {slashNonVotingMember}'s (0xf4059cf8).
    function appealsContractAddress() external view returns (address) {
        return address(_appeals);
    }

    /// @notice Slash `amount` of the bond of a member that revealed no vote on an appeal it was
    /// eligible for (the share a silent seat loses), burned.
    /// @dev {Appeals} only: its {Appeals-slashAbsent} checks eligibility and absence and prices
    /// the slash from this market's bond and slash share (the arithmetic lives there: room here).
    function slashNonVotingMember(address voter, uint256 amount) external {
        if (msg.sender != address(_appeals)) revert TrainingMarketNotAppeals(msg.sender);
        _credit(BURNED, _slashBond(voter, amount));
    }

    /// @dev Writes the sheets the vote overturned ({Appeals-verdictOf}: `ruled[i]` non-zero)
    /// before they are judged; returns their bitmap.
    function _applyVerdicts(uint256 jobId, uint256[16] memory ruled) internal returns (uint256 overturned) {
        for (uint256 i; i < MAX_SUBMISSIONS; ++i) {
            if (ruled[i] == 0) continue;
            _sheets[jobId][_entries[jobId][i].worker] = ruled[i];
            overturned |= 1 << i;
        }
    }
}
